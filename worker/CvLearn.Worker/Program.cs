// Placeholder entry point; the commands arrive with the CLI work.
return 0;
