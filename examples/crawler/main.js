// Crawls a site from `startUrls`, following links to the same origin, and
// pushes {url, title} for every page to the default dataset.
import { Actor } from 'apify';
import { CheerioCrawler } from 'crawlee';

await Actor.init();

const {
    startUrls = [],
    maxRequestsPerCrawl = 100,
    proxyConfiguration: proxyInput,
} = (await Actor.getInput()) ?? {};

if (!Array.isArray(startUrls) || startUrls.length === 0) {
    await Actor.fail('Input "startUrls" must list at least one {"url": "..."}.');
}

// A proxy only when the input asks for one: Apify Proxy need not exist.
const proxyConfiguration = proxyInput?.useApifyProxy || proxyInput?.proxyUrls?.length
    ? await Actor.createProxyConfiguration(proxyInput)
    : undefined;

const crawler = new CheerioCrawler({
    proxyConfiguration,
    maxRequestsPerCrawl,
    async requestHandler({ request, $, enqueueLinks, log }) {
        // The page's URL without a #fragment (links to one page with
        // different fragments are one request: the queue dedupes them).
        const url = new URL(request.loadedUrl ?? request.url);
        url.hash = '';
        const title = $('title').first().text().trim();
        log.info(`${url.href}: ${title}`);
        await Actor.pushData({ url: url.href, title });
        // 'same-origin' keeps scheme, host and port, so http://127.0.0.1:<port>
        // sites are followed but nothing else.
        await enqueueLinks({ strategy: 'same-origin' });
    },
});

await crawler.run(startUrls);

await Actor.exit();
