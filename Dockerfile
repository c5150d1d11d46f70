# One image for every Canhgac service (API, UI, collectors, crawler, detection).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CANHGAC_DATA_DIR=/data CANHGAC_CONFIG=/etc/canhgac/canhgac.yaml

# tshark for packet captures (no setuid dumpcap: the collector runs with
# CAP_NET_RAW granted by compose when live capture is wanted).
RUN echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/canhgac
COPY pyproject.toml README.md ./
COPY canhgac ./canhgac
COPY store ./store
COPY collectors ./collectors
COPY crawlers ./crawlers
COPY detection ./detection
COPY api ./api
COPY ui ./ui
COPY rules ./rules
# Editable: rules/ (Sigma rules, NLP gazetteer and watch lists) is data read
# from this source tree, next to the packages (as in a checkout).
RUN pip install --upgrade pip && pip install -e .

RUN useradd --system --home /data canhgac && mkdir -p /data /etc/canhgac \
 && chown canhgac /data
COPY deploy/canhgac.yaml /etc/canhgac/canhgac.yaml
USER canhgac
VOLUME ["/data"]
ENTRYPOINT ["canhgac"]
CMD ["--help"]
