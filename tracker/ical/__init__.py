"""iCalendar written from domain items: the feeds serve it, the reminders attach it to mails.

Below both, so that neither front end imports the other.
"""
