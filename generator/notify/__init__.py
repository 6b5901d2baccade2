"""Notifications: tell subscribers about each change the published page shows, exactly once.

The parts, each owning one thing:

- `channels`: the `notify:` list of site.yaml, validated into `Channel`s, and
  where each channel's secret comes from (an environment variable it names);
- `messages`: what became visible (pure): every update, every window that
  opened or closed on its own, every reminder, every component change, as
  `Message`s with a stable delivery id;
- `formats`: each service's payload for one message (pure);
- `ledger`: what was published, what was sent, what is pending, kept beside
  the deploy manifest in the first target's bucket;
- `delivery`: sending one payload (HTTP or SNS), with retries;
- `dispatch`: the orchestration the CLI calls; it yields events and never prints.
"""
