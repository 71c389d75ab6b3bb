# CPU image:  docker build -t streamer .
# GPU image:  docker build -t streamer:gpu --build-arg EXTRAS=gpu \
#               --build-arg BASE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 .
#             (the CUDA base needs python3.11 from its distribution; torch then comes from PyPI's CUDA build)
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE}
ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends espeak-ng fonts-noto-cjk opencv-data \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streamer ./streamer
COPY assets ./assets
RUN pip install --no-cache-dir ".${EXTRAS:+[$EXTRAS]}"
# weights are mounted, never baked in or downloaded: -v $PWD/models:/app/models
VOLUME ["/app/models", "/app/out"]
EXPOSE 8000
ENTRYPOINT ["streamer"]
CMD ["run", "assets/briefs/demo_zh.yaml", "--out", "out/demo.mp4", "--duration", "60"]
