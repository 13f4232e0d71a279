# Variables are case-insensitive names; unknown ones are empty.
require ["variables", "fileinto"];
set "Folder" "Mixed";
set "folder" "${FOLDER}-${folder}";
fileinto "${Folder}${nothing}";
