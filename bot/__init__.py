"""The chat bot: questions in plain words answered from the workplan.

`understand` turns a question into a query (intent and parameters), `answer` runs it through
`tracker.domain.items` and writes the reply; Slack (`bot.slack`), the chat page (`bot.chat`) and
`tracker ask` (`bot.cli`) show that same reply.
"""
