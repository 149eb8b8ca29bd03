"""Alerts stage: pure rules over anomaly scores, SLA deadlines, ticket drafts, and the job."""
