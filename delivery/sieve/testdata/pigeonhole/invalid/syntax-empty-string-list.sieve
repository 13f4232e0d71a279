require [];
