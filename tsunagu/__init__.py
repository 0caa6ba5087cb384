"""tsunagu: software for a city's 重層的支援体制整備事業 (社会福祉法 第106条の4〜6)."""
