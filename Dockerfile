# One image for every LineCare process; docker-compose picks the command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY collector collector
COPY analytics analytics
COPY alerts alerts
COPY api api
COPY models models
COPY storage storage
COPY simulator simulator
COPY services services
COPY launcher launcher
COPY settings settings
COPY bench bench
COPY config config
RUN pip install --no-cache-dir . \
    && mkdir -p /var/lib/linecare/spool /var/lib/linecare/opcua \
    && chown -R nobody /var/lib/linecare
# State (spool, OPC UA certificates) in a directory the unprivileged user owns;
# named volumes mounted below it take over that ownership.
ENV LINECARE_PLANT_FILE=/app/config/plant.yaml \
    LINECARE_STATE_DIR=/var/lib/linecare \
    LINECARE_MANAGE_SERVICES=false
USER nobody
ENTRYPOINT ["linecare"]
