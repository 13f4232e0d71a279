# include of personal and global scripts, :once and :optional.
require ["include", "fileinto"];
include "filter-lists";
include :global "site-spam";
include :once "filter-lists";
include :optional "does-not-exist";
if header :contains "subject" "Hello" { fileinto "Main"; }
