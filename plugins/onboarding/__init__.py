"""Account onboarding: cases, their tasks, and the playbook they are worked through.

Also the teams, the customer data the onboarding captures, the landing page and the
customer portal, as they arrive.
"""
