"""Figures and display images built by pure functions: plotly ``go.Figure`` objects and RGB arrays."""
