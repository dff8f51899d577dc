# Pledge's production image: web (uvicorn, ASGI), worker and beat share it.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PLEDGE_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY helpdesk ./helpdesk
COPY sla ./sla
COPY billing ./billing
COPY templates ./templates
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && SECRET_KEY=build-only DEBUG=false python manage.py collectstatic --no-input -v 0 \
    && useradd --create-home pledge && mkdir -p /data && chown pledge /data
USER pledge
EXPOSE 8000
# The web command of run.py's `web_command`: no per-message deflate (see there).
CMD ["uvicorn", "helpdesk.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", \
     "--ws-per-message-deflate", "false"]
