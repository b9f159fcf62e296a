"""The template's logic, as plain modules (extensions/jinja.py hands them to copier's Jinja):

versions.py    CPython version knowledge: one Minor record per minor
pins.py        what the rendered files pin: tool versions, cutover gates, Kubernetes resources
detect/        detection: what the repository says, one small rule per source and question
questions.py   the table of questions: when each is asked, its check, its default
checks.py      the check of every kind of answer
context.py     values derived from the answers, for every rendered file
filters.py     helpers the templates call to write values
dockerfile.py  reading an existing Dockerfile as BuildKit does
"""
