"""Workflow declarations: each names its ASL file and the task handlers its placeholders stand for."""
