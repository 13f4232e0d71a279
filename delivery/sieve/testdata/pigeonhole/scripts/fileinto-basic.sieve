# fileinto with sub-folders, INBOX in any case, and duplicates.
require "fileinto";
fileinto "Work";
fileinto "Archive/2024";
fileinto "inbox";
fileinto "Work";
