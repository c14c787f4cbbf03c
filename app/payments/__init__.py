"""Payments: one payment covers a checkout's orders; gateway adapters (WeChat Pay API v3,
Alipay) behind one Protocol; the callbacks inbox (raw, verified, deduplicated); refunds."""
