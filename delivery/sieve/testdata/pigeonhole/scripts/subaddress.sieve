# :user and :detail.
require ["subaddress", "fileinto"];
if address :detail "to" "work" { fileinto "Work"; }
if address :detail :is "to" "" { fileinto "EmptyDetail"; }
if address :user :is "to" "user" { fileinto "User"; }
if address :detail :matches "to" "*" { fileinto "AnyDetail"; }
if address :user :is "from" "boss" { fileinto "Boss"; }
