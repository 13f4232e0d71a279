require "reject";
reject 5;
