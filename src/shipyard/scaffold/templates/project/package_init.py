"""The @@model@@ model of @@project@@."""
