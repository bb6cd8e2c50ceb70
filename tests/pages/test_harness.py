"""The page tests' own tools can fail: axe-core reports a page that breaks WCAG, and the SMTP
server the end-to-end test starts receives what is sent to it."""

from __future__ import annotations

import smtplib

import pytest
from browser import axe_page, chromium, serve, smtp_server
from flask import Flask


def test_axe_fails_a_test_on_an_inaccessible_page():
    bad = Flask("bad")

    @bad.get("/")
    def index():
        # No alt text, an unlabelled input: two WCAG A failures axe-core knows.
        return (
            '<!doctype html><html lang="en"><title>Bad</title><main><img src="/x.png"><input type="text"></main></html>'
        )

    with chromium() as browser, serve(bad) as url, pytest.raises(AssertionError) as failed, axe_page(browser) as page:
        page.goto(url + "/")
    report = str(failed.value)
    assert "image-alt" in report and "label" in report and url in report


def test_the_smtp_server_keeps_what_it_receives():
    with smtp_server() as (host, port, messages):
        with smtplib.SMTP(host, port) as client:
            client.sendmail("la@trafford.example", ["head@school.example"], "Subject: Your visit\r\n\r\nSee you.\r\n")
        assert len(messages) == 1
        assert messages[0]["Subject"] == "Your visit" and messages[0].envelope_to == ["head@school.example"]
