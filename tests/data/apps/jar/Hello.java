import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * Executable jar sample app of the Slipway buildpack tests.
 * Listens on the port given by -Dserver.port, else $PORT, else 5000.
 */
public final class Hello {
    private Hello() {
    }

    public static void main(String[] args) throws IOException {
        String port = System.getProperty("server.port");
        if (port == null || port.isEmpty()) {
            port = System.getenv().getOrDefault("PORT", "5000");
        }

        HttpServer server = HttpServer.create(new InetSocketAddress("0.0.0.0", Integer.parseInt(port)), 0);
        server.createContext("/", exchange -> {
            byte[] body = "Hello from slipway-jar\n".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
        server.start();
        System.out.println("slipway-jar listening on port " + port);
    }
}
