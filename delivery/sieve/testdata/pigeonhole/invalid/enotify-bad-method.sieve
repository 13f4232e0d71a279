require "enotify";
notify "xmpp:user@example.com";
