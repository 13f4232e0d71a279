require "enotify";
notify :from "nope" "mailto:a@example.com";
