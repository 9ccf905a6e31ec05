"""slow_server.py: the bulk-delete fixture's upstream. nginx proxies
DELETE /slow/compute/v2.1/servers/{id} here (keep-alive upstream); every
request is answered after sleeping DELAY seconds (asyncio.sleep, so many
requests wait at once, like a real API whose latency is not CPU): 204 for
DELETE, 404 otherwise.

usage: python3 bench/slow_server.py PORT [DELAY_MS]
"""
import asyncio
import itertools
import sys

PORT = int(sys.argv[1])
DELAY = (float(sys.argv[2]) if len(sys.argv) > 2 else 20.0) / 1000.0
counter = itertools.count(1)


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split(" ", 1)[0]
            length = 0
            for line in lines[1:]:
                if line[:15].lower() == "content-length:":
                    length = int(line[15:].strip())
            if length:
                await reader.readexactly(length)
            await asyncio.sleep(DELAY)
            rid = "req-slow-%08d" % next(counter)
            if method == "DELETE":
                writer.write(("HTTP/1.1 204 No Content\r\nX-Openstack-Request-Id: %s\r\n"
                              "Content-Length: 0\r\n\r\n" % rid).encode())
            else:
                body = b'{"itemNotFound":{"code":404,"message":"not here"}}'
                writer.write(("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                              "X-Openstack-Request-Id: %s\r\nContent-Length: %d\r\n\r\n" % (rid, len(body))).encode()
                             + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", PORT, backlog=256)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
