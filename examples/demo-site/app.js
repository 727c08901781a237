document.getElementById('js').textContent = 'JavaScript ran: ' + performance.getEntriesByType('navigation')[0].nextHopProtocol;
