"""The playbook engine: definitions as data, instances that walk a record through them."""
