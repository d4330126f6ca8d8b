"""Data files of the onboarding plugin: the account onboarding playbook."""
