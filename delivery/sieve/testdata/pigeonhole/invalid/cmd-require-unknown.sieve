require "nonexistent-extension";
