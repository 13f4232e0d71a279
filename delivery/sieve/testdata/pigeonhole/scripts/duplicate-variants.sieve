# duplicate with handles, headers and unique ids from variables.
require ["duplicate", "variables", "fileinto"];
if header :matches "from" "*" { set "f" "${1}"; }
if duplicate :uniqueid "${f}" :handle "from" { fileinto "SameFrom"; }
if duplicate :header "x-missing" { fileinto "Never"; }
if duplicate :header "date" :seconds 3600 { fileinto "SameDate"; }
