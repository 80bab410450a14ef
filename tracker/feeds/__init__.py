"""Calendar feeds: iCalendar for activities and milestones."""
