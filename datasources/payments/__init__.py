"""Payment providers behind the PaymentProvider port.

``simulated.TestPaymentProvider`` is deterministic and local. A Stripe adapter (the official
``stripe`` library, PaymentIntents with manual capture, idempotency keys passed through) is
planned; its tests will run only when a Stripe test key is configured.
"""
