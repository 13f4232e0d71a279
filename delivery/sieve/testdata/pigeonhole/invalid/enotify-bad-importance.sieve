require "enotify";
notify :importance "5" "mailto:a@example.com";
