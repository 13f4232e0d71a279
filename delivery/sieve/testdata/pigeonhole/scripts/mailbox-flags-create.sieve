# fileinto :create with :flags and :copy.
require ["mailbox", "fileinto", "imap4flags", "copy"];
fileinto :create :flags "\\Seen" :copy "Created";
if mailboxexists ["Work", "Lists"] { fileinto "Both"; }
