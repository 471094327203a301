"""What cargo builds and where it puts it: commands, their JSON messages, the unit layout."""
