require "enotify";
notify "mailto:a@example.com,b@example.com";
