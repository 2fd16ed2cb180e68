FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .
COPY config ./config
EXPOSE 8080
CMD ["midfreq", "run", "--config", "config/config.example.yaml"]
