require "editheader";
deleteheader "Bad:Name";
