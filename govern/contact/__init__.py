"""Contact: the agency's recorded lines, the calls its telephone system reports, and the guard
every collector asks before dialling (quiet hours, daily caps, third parties, complaint stops)."""
