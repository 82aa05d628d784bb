// Runs before model-viewer starts: its mesh and texture decoders load from this server
// (npm packages published under /storefront/vendor), never from a CDN.
self.ModelViewerElement = Object.assign(self.ModelViewerElement || {}, {
  meshoptDecoderLocation: "/storefront/vendor/meshopt_decoder.js",
  dracoDecoderLocation: "/storefront/vendor/draco/",
  ktx2TranscoderLocation: "/storefront/vendor/basis/",
});
