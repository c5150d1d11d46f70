"""Generated ECS events for a fictional city network (demo and benchmarks).

Everything here is made up by this project: host names, users and addresses
belong to an imaginary "thanhpho.example" network.  Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from canhgac.ecs import event_id, new_event

HOSTS = ["cong-dich-vu-1", "cong-dich-vu-2", "mail-ubnd", "dns-noi-bo", "fw-trung-tam",
         "ws-so-tnmt-07", "ws-so-gtvt-12", "db-hanh-chinh", "vpn-gateway", "camera-nvr-3"]
USERS = ["nguyen.van.an", "tran.thi.binh", "le.minh.chau", "pham.quoc.dung", "admin",
         "vo.thanh.em", "root", "hoang.gia.huy"]
MESSAGES = [
    "Đăng nhập thành công vào cổng dịch vụ công thành phố",
    "Failed password for {user} from {ip} port {port} ssh2",
    "Accepted publickey for {user} from {ip} port {port} ssh2",
    "Truy cập bị chặn bởi tường lửa trung tâm: {ip} → {dst}",
    "GET /dich-vu-cong/ho-so?id={port} HTTP/1.1 200",
    "Cảnh báo: lưu lượng DNS bất thường từ {ip}",
    "Người dùng {user} đổi mật khẩu tại Sở Tài nguyên và Môi trường",
]
DATASETS = [("system.auth", "authentication"), ("fortinet.firewall", "network"),
            ("nginx.access", "web"), ("zeek.dns", "network"), ("system.syslog", "host")]


def events(count: int, *, seed: int = 7, start: datetime | None = None,
           span: timedelta = timedelta(days=1)) -> Iterator[dict[str, Any]]:
    """``count`` realistic-looking ECS events spread over ``span`` from ``start``."""
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 25, tzinfo=UTC)
    step = span / max(count, 1)
    for i in range(count):
        ts = start + step * i
        user = rng.choice(USERS)
        ip = f"10.{rng.randint(10, 40)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        dst = f"10.0.{rng.randint(0, 3)}.{rng.randint(1, 30)}"
        port = rng.randint(1024, 65535)
        dataset, category = DATASETS[i % len(DATASETS)]
        message = rng.choice(MESSAGES).format(user=user, ip=ip, dst=dst, port=port)
        outcome = "failure" if "Failed" in message or "chặn" in message else "success"
        yield new_event(
            ts=ts,
            dataset=dataset,
            category=category,
            type="info",
            id=event_id(f"sample:{seed}", offset=i),
            fields={
                "message": message,
                "host.name": rng.choice(HOSTS),
                "user.name": user,
                "source.ip": ip,
                "source.port": port,
                "destination.ip": dst,
                "destination.port": rng.choice([22, 53, 80, 443, 3389]),
                "network.transport": rng.choice(["tcp", "udp"]),
                "event.outcome": outcome,
                "source.bytes": rng.randint(40, 150_000),
                "tags": ["demo-data"],
            },
        )
