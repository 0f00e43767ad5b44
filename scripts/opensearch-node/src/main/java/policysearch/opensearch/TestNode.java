package policysearch.opensearch;

import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node, with HTTP, in this JVM, for policy-search's tests.
 *
 * <p>Usage: {@code java -cp ... policysearch.opensearch.TestNode key=value ...}, where each
 * argument is one node setting (as in opensearch.yml). The settings that differ per node
 * (paths, names, ports, discovery) come from scripts/opensearch-cluster; the ones that only
 * make a small test node workable are the defaults below, and an argument overrides them.
 *
 * <p>The node runs until the JVM gets SIGTERM or SIGINT, then closes itself cleanly.
 * Everything it says goes to Log4j (see log4j2.properties), i.e. to this JVM's stdout,
 * which the launcher sends to the node's log file.
 */
public final class TestNode extends Node {

    /**
     * The modules a node takes from the classpath instead of from a modules/ folder: the
     * server jar has no network layer of its own (Netty4Plugin brings HTTP and transport),
     * and only the "standard" analyzer (CommonAnalysisPlugin brings whitespace, pattern,
     * keyword, lowercase, ...); PainlessPlugin runs scripts (the opensearch backend's
     * similarity is one, as a distribution's bundled lang-painless module would run it).
     */
    private static final List<Class<? extends Plugin>> CLASSPATH_PLUGINS =
        List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class);

    /** Settings whose value is a list: given as one comma-separated argument. */
    private static final Set<String> LIST_SETTINGS = Set.of("discovery.seed_hosts", "cluster.initial_cluster_manager_nodes");

    /** Settings the launcher must give; without them the node would guess (ports, paths) or not form a cluster. */
    private static final List<String> REQUIRED = List.of(
        "path.home",
        "path.data",
        "path.logs",
        "cluster.name",
        "node.name",
        "http.port",
        "transport.port",
        "discovery.seed_hosts",
        "cluster.initial_cluster_manager_nodes"
    );

    private TestNode(Environment environment) {
        // Node's public constructor only loads plugins from the plugins/ and modules/
        // folders of path.home; this protected one also takes classes on the classpath.
        // true = refuse private index settings in requests, as a real node does.
        super(environment, CLASSPATH_PLUGINS, true);
    }

    static Settings settingsFrom(String[] args) {
        Settings.Builder builder = Settings.builder()
            // loopback only: nothing here is meant to be reached from another machine
            .put("network.host", "127.0.0.1")
            // test machines' disks are often fuller than the 85%/90%/95% watermarks allow;
            // with them on, replicas (or even primaries) would stay unassigned
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // with a 512 MB heap the parent breaker, measuring the real heap, trips on
            // garbage that is merely not collected yet; count only what requests reserve
            .put("indices.breaker.total.use_real_memory", false)
            // a test cluster should not keep a lone node waiting 30 s for others that
            // are never coming (after a `stop NODE`)
            .put("discovery.initial_state_timeout", "10s");
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("argument is not key=value: " + arg);
            }
            String key = arg.substring(0, eq).trim();
            String value = arg.substring(eq + 1).trim();
            if (LIST_SETTINGS.contains(key)) {
                builder.putList(key, value.isEmpty() ? List.of() : List.of(value.split("\\s*,\\s*")));
            } else {
                builder.put(key, value);
            }
        }
        Settings settings = builder.build();
        for (String key : REQUIRED) {
            if (settings.hasValue(key) == false && settings.getAsList(key).isEmpty()) {
                throw new IllegalArgumentException("missing setting " + key + "=...");
            }
        }
        return settings;
    }

    public static void main(String[] args) {
        final Settings settings;
        try {
            settings = settingsFrom(args);
        } catch (IllegalArgumentException e) {
            System.err.println("opensearch-node: " + e.getMessage());
            System.exit(2);
            return;
        }
        final Logger logger = LogManager.getLogger(TestNode.class);
        final CountDownLatch stopped = new CountDownLatch(1);
        final TestNode node;
        try {
            // builds the Environment (paths, settings) as the opensearch launcher would,
            // minus reading config/opensearch.yml: an empty config folder is fine
            Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings,
                Collections.emptyMap(),
                null,
                () -> settings.get("node.name")
            );
            node = new TestNode(environment);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    node.close();
                    if (node.awaitClose(20, TimeUnit.SECONDS) == false) {
                        logger.warn("node did not close within 20s");
                    }
                } catch (Exception e) {
                    logger.warn("failed to close the node", e);
                } finally {
                    stopped.countDown();
                    // Log4j's own shutdown hook is off (-Dlog4j.shutdownHookEnabled=false) so
                    // that the lines above still get written; flush and stop it now
                    LogManager.shutdown();
                }
            }, "test-node-shutdown"));
            node.start();
        } catch (Throwable t) {
            logger.error("node failed to start", t);
            System.err.println("opensearch-node: failed to start: " + t);
            LogManager.shutdown();
            // halt, not exit: exit would run the shutdown hook, which waits on a half-built node
            Runtime.getRuntime().halt(1);
            return;
        }
        logger.info("test node started: http 127.0.0.1:{}, transport 127.0.0.1:{}",
            settings.get("http.port"), settings.get("transport.port"));
        // Node's threads are daemon threads: keep the JVM alive until a signal arrives
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
