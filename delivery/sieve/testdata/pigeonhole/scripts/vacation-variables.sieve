# vacation with variables in its arguments and the default handle.
require ["vacation", "variables"];
if header :matches "subject" "*" { set "subj" "${1}"; }
vacation :subject "Re: ${subj}" "Thanks for your mail about ${subj}.";
