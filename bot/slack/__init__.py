"""The Slack app: slash command, mentions and direct messages, status buttons, App Home and the
weekly digest. `routes` mounts it in the web app at /slack/events (HTTP mode); `tracker bot
--socket` connects it over Socket Mode instead."""
