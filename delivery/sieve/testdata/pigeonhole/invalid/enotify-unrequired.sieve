notify "mailto:a@example.com";
