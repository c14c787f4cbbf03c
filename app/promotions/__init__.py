"""Promotions: coupons (the platform's and the stores'), claimed or given, used at checkout;
points earned on completed orders and spent at checkout."""
