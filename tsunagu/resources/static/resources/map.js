// The public resource map: draws the markers listed in #map-markers on tiles from the
// configured URL. Without Leaflet, tiles or markers the list below is the page; a tile that
// does not load is said once in #map-status and the list stays usable.
(function () {
  "use strict";
  function start() {
    const element = document.getElementById("resource-map");
    const data = document.getElementById("map-markers");
    if (!element || !data || typeof window.L === "undefined") {
      return;
    }
    const markers = JSON.parse(data.textContent);
    const status = document.getElementById("map-status");
    const map = window.L.map(element, { scrollWheelZoom: false, keyboard: true });
    const tiles = window.L.tileLayer(element.dataset.tileUrl, {
      attribution: element.dataset.attribution || "",
      maxZoom: 18,
    });
    let reported = false;
    tiles.on("tileerror", function () {
      if (!reported && status) {
        status.textContent = "地図の画像を読み込めませんでした。場所は下の一覧でご覧ください。";
        reported = true;
      }
    });
    tiles.addTo(map);
    const bounds = [];
    markers.forEach(function (m) {
      const marker = window.L.marker([m.lat, m.lng], { title: m.name, alt: m.name, keyboard: true });
      const popup = document.createElement("div");
      if (m.url) {
        const link = document.createElement("a");
        link.href = m.url;
        link.textContent = m.name;
        popup.appendChild(link);
      } else {
        popup.textContent = m.name;
      }
      if (m.place) {
        const place = document.createElement("p");
        place.textContent = m.place;
        popup.appendChild(place);
      }
      marker.bindPopup(popup);
      marker.addTo(map);
      bounds.push([m.lat, m.lng]);
    });
    if (bounds.length === 1) {
      map.setView(bounds[0], 15);
    } else {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
    }
    element.dataset.ready = "true";
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
