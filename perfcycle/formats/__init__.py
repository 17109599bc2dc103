"""Our own date and number formats where Django's locale defaults do not suit the pages
(``FORMAT_MODULE_PATH``); anything not set here comes from Django's locale."""
