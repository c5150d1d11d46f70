"""Detection: Sigma rules, correlation, NLP and reputation rules, alerts and
incidents (transforms).  Empty until detection lands (issues #4 and #6).
"""
